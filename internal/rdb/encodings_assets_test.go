package rdb

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// assetsDir holds Redis 7.0.15's tests/assets RDB fixtures (see its
// README.md).
const assetsDir = "/work/shared/redis-assets"

// walkValue decodes the value of type typ at r into a flat list of strings
// (list/set elements, hash field,value pairs, zset member,score pairs).
func walkValue(r *Reader, typ byte) ([]string, error) {
	var out []string
	add := func(e Entry) error {
		out = append(out, e.String())
		return nil
	}
	blob := func() ([]byte, error) { return r.ReadString() }
	switch typ {
	case TypeString:
		s, err := r.ReadString()
		return []string{string(s)}, err
	case TypeList, TypeSet, TypeHash, TypeZSet:
		n, err := r.ReadPlainLen()
		if err != nil {
			return nil, err
		}
		for i := uint64(0); i < n; i++ {
			s, err := r.ReadString()
			if err != nil {
				return nil, err
			}
			out = append(out, string(s))
			switch typ {
			case TypeHash:
				v, err := r.ReadString()
				if err != nil {
					return nil, err
				}
				out = append(out, string(v))
			case TypeZSet:
				f, err := r.ReadDoubleString()
				if err != nil {
					return nil, err
				}
				out = append(out, strconv.FormatFloat(f, 'f', -1, 64))
			}
		}
		return out, nil
	case TypeListQuicklist, TypeListQuicklist2:
		var es []Entry
		var err error
		if typ == TypeListQuicklist {
			es, err = r.ReadQuicklist()
		} else {
			es, err = r.ReadQuicklist2()
		}
		for _, e := range es {
			add(e)
		}
		return out, err
	case TypeHashZipmap:
		b, err := blob()
		if err != nil {
			return nil, err
		}
		pairs, err := ZipmapPairs(b)
		for _, p := range pairs {
			out = append(out, string(p))
		}
		return out, err
	case TypeSetIntset:
		b, err := blob()
		if err != nil {
			return nil, err
		}
		vs, err := IntsetValues(b)
		for _, v := range vs {
			out = append(out, strconv.FormatInt(v, 10))
		}
		return out, err
	case TypeListZiplist, TypeZSetZiplist, TypeHashZiplist:
		b, err := blob()
		if err != nil {
			return nil, err
		}
		_, err = WalkZiplist(b, add)
		return out, err
	case TypeHashListpack, TypeZSetListpack:
		b, err := blob()
		if err != nil {
			return nil, err
		}
		_, err = WalkListpack(b, add)
		return out, err
	}
	return nil, fmt.Errorf("type %d not handled", typ)
}

// walkFile decodes every key of an RDB file, skipping everything else.
func walkFile(t *testing.T, file []byte) (vals map[string][]string, types map[string]byte) {
	t.Helper()
	r := NewReader(file)
	if _, err := r.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	vals, types = map[string][]string{}, map[string]byte{}
	for {
		op, err := r.ReadType()
		if err != nil {
			t.Fatal(err)
		}
		switch op {
		case OpEOF:
			return
		case OpAux:
			_, err1 := r.ReadString()
			_, err = r.ReadString()
			if err1 != nil {
				err = err1
			}
		case OpSelectDB:
			_, err = r.ReadPlainLen()
		case OpResizeDB:
			r.ReadPlainLen()
			_, err = r.ReadPlainLen()
		case OpExpireTimeMS:
			_, err = r.ReadMillisecondTime()
		case OpExpireTime:
			_, err = r.ReadTime32()
		case OpIdle:
			_, err = r.ReadPlainLen()
		case OpFreq:
			_, err = r.ReadByte()
		default:
			k, err := r.ReadString()
			if err != nil {
				t.Fatal(err)
			}
			v, err := walkValue(r, op)
			if err != nil {
				t.Fatalf("key %q type %d: %v", k, op, err)
			}
			vals[string(k)] = v
			types[string(k)] = op
		}
		if err != nil {
			t.Fatalf("opcode %d: %v", op, err)
		}
	}
}

// pairsSorted sorts a flat field,value list by field, for comparing hashes.
func pairsSorted(v []string) string {
	var ps []string
	for i := 0; i+1 < len(v); i += 2 {
		ps = append(ps, v[i]+"="+v[i+1])
	}
	slices.Sort(ps)
	return strings.Join(ps, ",")
}

func readAsset(t *testing.T, name string) []byte {
	b, err := os.ReadFile(filepath.Join(assetsDir, name))
	if err != nil {
		t.Skipf("asset: %v", err)
	}
	return b
}

// TestRedisAssetsOldEncodings decodes the zipmap, ziplist, intset and
// quicklist values of Redis's own test fixtures; the expected contents are
// those Redis's tests check after loading them.
func TestRedisAssetsOldEncodings(t *testing.T) {
	cases := []struct {
		file string
		want map[string]string // key -> "type:content"
	}{
		{"hash-zipmap.rdb", map[string]string{"hash": "9:f1=v1,f2=v2"}},
		{"hash-ziplist.rdb", map[string]string{"hash": "13:f1=v1,f2=v2"}},
		{"zset-ziplist.rdb", map[string]string{"zset": "12:one=1,two=2"}},
		{"list-quicklist.rdb", map[string]string{"list": "14:[7]", "x": "0:[7]"}},
		{"encodings.rdb", map[string]string{
			"compressible": "0:[" + strings.Repeat("a", 137) + "]",
			"hash":         "4:a=1,aa=10,aaa=100,b=2,bb=20,bbb=200,c=3,cc=30,ccc=300,ddd=400,eee=5000000000",
			"hash_zipped":  "13:a=1,b=2,c=3", /* a ziplist, not a zipmap, despite the name */
			"list":         "1:" + fmt.Sprint(slices.Concat(encList, encList, encList)),
			"list_zipped":  "10:" + fmt.Sprint(encList),
			"number":       "0:[10]",
			"set":          "2:[1 100000 2 3 6000000000 a b c]",
			"set_zipped_1": "11:[1 2 3 4]",
			"set_zipped_2": "11:[100000 200000 300000 400000]",
			"set_zipped_3": "11:[1000000000 2000000000 3000000000 4000000000 5000000000 6000000000]",
			"string":       "0:[Hello World]",
			"zset":         "3:a=1,aa=10,aaa=100,aaaa=1000,b=2,bb=20,bbb=200,bbbb=5000000000,c=3,cc=30,ccc=300,cccc=123456789",
			"zset_zipped":  "12:a=1,b=2,c=3",
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			vals, types := walkFile(t, readAsset(t, c.file))
			got := map[string]string{}
			for k, v := range vals {
				switch types[k] {
				case TypeHash, TypeHashZipmap, TypeHashZiplist, TypeZSet, TypeZSetZiplist:
					got[k] = fmt.Sprintf("%d:%s", types[k], pairsSorted(v))
				case TypeSet:
					slices.Sort(v)
					got[k] = fmt.Sprintf("%d:%v", types[k], v)
				default:
					got[k] = fmt.Sprintf("%d:%v", types[k], v)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("got  %v\nwant %v", got, c.want)
			}
		})
	}
}

var encList = []string{"1", "2", "3", "a", "b", "c", "100000", "6000000000"}

// TestRedisAssetCorruptZiplist: the fixture Redis must refuse to load has
// one hash ziplist that fails the integrity check; we find exactly it.
func TestRedisAssetCorruptZiplist(t *testing.T) {
	file := readAsset(t, "corrupt_ziplist.rdb")
	r := NewReader(file)
	if _, err := r.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	good := 0
	for {
		op, err := r.ReadType()
		if err != nil {
			t.Fatal(err)
		}
		if op == OpAux {
			r.ReadString()
			r.ReadString()
			continue
		}
		if op == OpSelectDB {
			r.ReadPlainLen()
			continue
		}
		if op == OpResizeDB {
			r.ReadPlainLen()
			r.ReadPlainLen()
			continue
		}
		k, _ := r.ReadString()
		if op != TypeHashZiplist {
			if _, err := walkValue(r, op); err != nil {
				t.Fatalf("key %q: %v", k, err)
			}
			continue
		}
		b, err := r.ReadString()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := WalkZiplist(b, nil); err != nil {
			if string(k) != "key:000000000091" {
				t.Errorf("key %q: %v", k, err)
			}
			t.Logf("%d good keys, then %q: %v", good, k, err)
			return
		}
		good++
	}
}
