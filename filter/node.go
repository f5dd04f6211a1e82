package filter

// op is what a node computes.
type op uint8

const (
	opConst op = iota
	opProp
	opCast // a property used as a condition
	opNeg
	opNot
	opAnd
	opOr
	opEq     // = (not: <>)
	opIsNull // IS NULL (not: IS NOT NULL)
	opLt
	opLe
	opGt
	opGe
	opBetween // x BETWEEN lo AND hi: l, r, hi (not: NOT BETWEEN)
	opIn      // not: NOT IN
	opContains
	opStartsWith
	opEndsWith
)

// node is one operation of a compiled expression. A tree of plain structs
// walked by one recursive function keeps the Lookup on the stack: the
// evaluation allocates nothing.
type node struct {
	op     op
	not    bool  // negates opEq, opIsNull, opBetween, opIn and the string functions
	depth  int   // of the tree below, for MaxDepth
	l, r   *node // operands
	hi     *node // opBetween's upper bound; r is the lower one
	kids   []*node
	val    value  // opConst
	name   string // opProp, opIn
	search string // string functions
	list   []string
	set    map[string]struct{} // IN lists longer than inListScan
}

func newNode(o op, operands ...*node) *node {
	n := &node{op: o, depth: 1}
	switch o {
	case opAnd, opOr:
		for _, k := range operands {
			n.add(k)
		}
		return n
	}
	for i, k := range operands {
		switch i {
		case 0:
			n.l = k
		case 1:
			n.r = k
		default:
			n.hi = k
		}
		n.depth = max(n.depth, k.depth+1)
	}
	return n
}

// add appends an operand to an AND or OR node, flattening a child of the
// same kind: AND and OR evaluate left to right and stop at the first FALSE
// (TRUE), so (a AND b) AND c is a AND b AND c, three-valued logic included.
func (n *node) add(k *node) {
	if k.op == n.op {
		for _, kk := range k.kids {
			n.add(kk)
		}
		return
	}
	n.kids = append(n.kids, k)
	n.depth = max(n.depth, k.depth+1)
}

// inListScan is the IN list length up to which a scan beats a map.
const inListScan = 8

func (n *node) setList(list []string) {
	if len(list) <= inListScan {
		n.list = list
		return
	}
	n.set = make(map[string]struct{}, len(list))
	for _, s := range list {
		n.set[s] = struct{}{}
	}
}

func (n *node) inList(s string) bool {
	if n.set != nil {
		_, ok := n.set[s]
		return ok
	}
	for _, x := range n.list {
		if x == s {
			return true
		}
	}
	return false
}
