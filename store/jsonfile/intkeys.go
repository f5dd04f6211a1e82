package jsonfile

// QuoteIntKeys returns data with every bare integer object key quoted:
// {0:12,-1:30} becomes {"0":12,"-1":30}. A key is a run of digits (with an
// optional leading '-') that follows '{' or ',' and is followed by ':',
// outside any string. Nothing else changes, so standard JSON comes back
// as is (the same slice), and broken input stays broken for the decoder to
// report.
func QuoteIntKeys(data []byte) []byte {
	var out []byte // nil until the first rewrite
	copied := 0
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			switch c {
			case '\\':
				i++ // skip the escaped byte
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			continue
		case '{', ',':
		default:
			continue
		}
		start := skipSpace(data, i+1)
		end := start
		if end < len(data) && data[end] == '-' {
			end++
		}
		digits := end
		for end < len(data) && data[end] >= '0' && data[end] <= '9' {
			end++
		}
		if end == digits {
			continue
		}
		if colon := skipSpace(data, end); colon >= len(data) || data[colon] != ':' {
			continue
		}
		out = append(out, data[copied:start]...)
		out = append(out, '"')
		out = append(out, data[start:end]...)
		out = append(out, '"')
		copied = end
		i = end - 1
	}
	if out == nil {
		return data
	}
	return append(out, data[copied:]...)
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}
