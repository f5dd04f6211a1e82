package filter_test

import (
	"fmt"
	"strconv"

	"github.com/rocketgo/rocketgo/filter"
)

func ExampleCompile() {
	e, err := filter.Compile("a BETWEEN 0 AND 3")
	if err != nil {
		panic(err)
	}
	var matched []int
	for i := 0; i < 10; i++ {
		props := map[string]string{"a": strconv.Itoa(i)}
		if e.Match(filter.MapLookup(props)) {
			matched = append(matched, i)
		}
	}
	fmt.Println(matched)

	_, err = filter.Compile("a > 5 AND b =")
	fmt.Println(err)
	// Output:
	// [0 1 2 3]
	// SQL92 parse error at column 14: expected a value after '=', found end of input
}
