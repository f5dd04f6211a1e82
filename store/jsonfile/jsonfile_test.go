package jsonfile

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

type offsets struct {
	OffsetTable map[string]map[int32]int64 `json:"offsetTable"`
}

func TestWriteReadKeepsOneBackup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config", "consumerOffset.json")
	for i := int64(1); i <= 3; i++ {
		v := offsets{OffsetTable: map[string]map[int32]int64{"T@g": {0: i}}}
		if err := Write(path, v); err != nil {
			t.Fatal(err)
		}
	}
	var got offsets
	used, err := ReadFrom(path, &got)
	if err != nil || used != path || got.OffsetTable["T@g"][0] != 3 {
		t.Fatalf("read %s: %+v %v", used, got, err)
	}
	var bak offsets
	if _, err := ReadFrom(path+BakSuffix, &bak); err != nil || bak.OffsetTable["T@g"][0] != 2 {
		t.Fatalf(".bak holds %+v %v, want the previous version", bak, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 2 {
		t.Fatalf("files left: %v", entries)
	}
}

func TestReadMissing(t *testing.T) {
	var v offsets
	found, err := Read(filepath.Join(t.TempDir(), "nothing.json"), &v)
	if found || err != nil {
		t.Fatalf("found %v err %v", found, err)
	}
	if _, err := Read("x", v); err == nil {
		t.Fatal("non-pointer accepted")
	}
}

// Each case leaves the files as a crash at one step of Write would.
func TestReadAfterCrash(t *testing.T) {
	const old = `{"offsetTable":{"T@g":{"0":1}}}`
	const cur = `{"offsetTable":{"T@g":{"0":2}}}`
	for _, tc := range []struct {
		name          string
		main, bak, tp string // "" = file absent
		wantUsed      string // "main", "bak" or ""
		want          int64
	}{
		{"while writing tmp", cur, old, `{"offsetTable":{"T@g":{"0":`, "main", 2},
		{"after main to bak", "", cur, `{"offsetTable":{"T@g":{"0":3}}}`, "bak", 2},
		{"first write, tmp only", "", "", cur, "", 0},
		{"main truncated", `{"offsetTable":{"T@`, old, "", "bak", 1},
		{"main empty", " \n", old, "", "bak", 1},
		{"main wrong type", `{"offsetTable":{"T@g":{"0":"x"}}}`, old, "", "bak", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f.json")
			for suffix, content := range map[string]string{"": tc.main, BakSuffix: tc.bak, TmpSuffix: tc.tp} {
				if content != "" {
					os.WriteFile(path+suffix, []byte(content), 0o644)
				}
			}
			var v offsets
			used, err := ReadFrom(path, &v)
			if err != nil {
				t.Fatal(err)
			}
			wantPath := map[string]string{"main": path, "bak": path + BakSuffix, "": ""}[tc.wantUsed]
			if used != wantPath || v.OffsetTable["T@g"][0] != tc.want {
				t.Fatalf("used %q value %+v, want %q %d", used, v, wantPath, tc.want)
			}
			// The next write recovers whatever state the crash left.
			if err := Write(path, offsets{OffsetTable: map[string]map[int32]int64{"T@g": {0: 9}}}); err != nil {
				t.Fatal(err)
			}
			v = offsets{}
			if used, err := ReadFrom(path, &v); err != nil || used != path || v.OffsetTable["T@g"][0] != 9 {
				t.Fatalf("after rewrite: %q %+v %v", used, v, err)
			}
		})
	}
}

func TestCorruptMainDoesNotLeakIntoValue(t *testing.T) {
	type cfg struct {
		A int `json:"a"`
		B int `json:"b"`
	}
	path := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(path, []byte(`{"a":5,"b":"not a number"}`), 0o644)
	os.WriteFile(path+BakSuffix, []byte(`{"b":7}`), 0o644)
	var v cfg
	if _, err := Read(path, &v); err != nil {
		t.Fatal(err)
	}
	if v != (cfg{B: 7}) {
		t.Fatalf("value %+v mixes the corrupt main file into the backup", v)
	}
}

func TestBothCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(path, []byte(`{`), 0o644)
	os.WriteFile(path+BakSuffix, []byte(`[`), 0o644)
	var v offsets
	found, err := Read(path, &v)
	if found || err == nil || !strings.Contains(err.Error(), "backup") {
		t.Fatalf("found %v err %v", found, err)
	}
	os.Remove(path + BakSuffix)
	if _, err := Read(path, &v); err == nil || !strings.Contains(err.Error(), "no c.json.bak") {
		t.Fatalf("corrupt main, no backup: %v", err)
	}
}

// fastjson output from Java brokers (reference §5.4): pretty-printed, with
// integer map keys left unquoted.
func TestReadFastjsonSamples(t *testing.T) {
	dir := t.TempDir()
	consumerOffset := "{\n\t\"offsetTable\":{\n\t\t\"TopicTest@please_rename_unique_group_name_4\":{0:250,1:249,2:250,3:250\n\t\t},\n" +
		"\t\t\"%RETRY%please_rename_unique_group_name_4@please_rename_unique_group_name_4\":{0:0\n\t\t}\n\t}\n}"
	os.WriteFile(filepath.Join(dir, "consumerOffset.json"), []byte(consumerOffset), 0o644)
	var co offsets
	if _, err := Read(filepath.Join(dir, "consumerOffset.json"), &co); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[int32]int64{
		"TopicTest@please_rename_unique_group_name_4":                                {0: 250, 1: 249, 2: 250, 3: 250},
		"%RETRY%please_rename_unique_group_name_4@please_rename_unique_group_name_4": {0: 0},
	}
	if !reflect.DeepEqual(co.OffsetTable, want) {
		t.Fatalf("consumerOffset.json: %+v", co.OffsetTable)
	}

	var delay struct {
		OffsetTable map[int32]int64 `json:"offsetTable"`
	}
	if err := Unmarshal([]byte(`{"offsetTable":{1:5,2:0,18:12}}`), &delay); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(delay.OffsetTable, map[int32]int64{1: 5, 2: 0, 18: 12}) {
		t.Fatalf("delayOffset.json: %+v", delay.OffsetTable)
	}

	topics := `{"dataVersion":{"counter":3,"timestamp":1700000000000},"topicConfigTable":{` +
		`"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}`
	var tc struct {
		DataVersion struct {
			Counter   int64 `json:"counter"`
			Timestamp int64 `json:"timestamp"`
		} `json:"dataVersion"`
		TopicConfigTable map[string]struct {
			TopicName     string `json:"topicName"`
			ReadQueueNums int    `json:"readQueueNums"`
			Perm          int    `json:"perm"`
		} `json:"topicConfigTable"`
	}
	if err := Unmarshal([]byte(topics), &tc); err != nil {
		t.Fatal(err)
	}
	if tc.DataVersion.Counter != 3 || tc.TopicConfigTable["TopicTest"].Perm != 6 {
		t.Fatalf("topics.json: %+v", tc)
	}
}

func TestQuoteIntKeys(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{0:12,1:30}`, `{"0":12,"1":30}`},
		{`{ -1 : 2 , 10:3}`, `{ "-1" : 2 , "10":3}`},
		{`{"a":"{0:1}","b":[1,2],3:4}`, `{"a":"{0:1}","b":[1,2],"3":4}`},
		{`{"esc\"{0:1":5}`, `{"esc\"{0:1":5}`},
		{`[1,2,3]`, `[1,2,3]`},
		{`{"x":{7:{8:9}}}`, `{"x":{"7":{"8":9}}}`},
		{`{1.5:2}`, `{1.5:2}`},
		{`{1`, `{1`},
	} {
		if got := string(QuoteIntKeys([]byte(tc.in))); got != tc.want {
			t.Errorf("QuoteIntKeys(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
