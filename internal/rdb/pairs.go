package rdb

// Hash and sorted-set values in listpacks and ziplists are flat
// field,value (member,score) sequences. Under deep sanitization Redis
// also requires an even number of entries and no repeated field
// (lpPairsValidateIntegrityAndDups, ziplistPairsConvertAndValidateIntegrity),
// comparing fields as strings, integers by their decimal text.

// pairChecker collects entries and rejects a repeated field.
type pairChecker struct {
	out    []Entry
	fields map[string]struct{}
}

func (c *pairChecker) add(off int, e Entry, what string) error {
	if len(c.out)%2 == 0 {
		if c.fields == nil {
			c.fields = map[string]struct{}{}
		}
		k := e.String()
		if _, dup := c.fields[k]; dup {
			return (&Reader{}).Errorf(off, "%s: repeated field %q", what, trunc64(k))
		}
		c.fields[k] = struct{}{}
	}
	c.out = append(c.out, e)
	return nil
}

func trunc64(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// ListpackPairs validates lp like ListpackEntries and also as Redis checks
// hash and zset listpacks (TypeHashListpack, TypeZSetListpack): an even
// number of entries, no field twice. It returns field, value, ... entries.
func ListpackPairs(lp []byte) ([]Entry, error) {
	var c pairChecker
	_, err := walkListpack(lp, func(off int, e Entry) error { return c.add(off, e, "listpack") })
	if err == nil && len(c.out)%2 != 0 {
		err = lpErr(4, "odd number of entries (%d) for pairs", len(c.out))
	}
	if err != nil {
		return nil, err
	}
	return c.out, nil
}

// ZiplistPairs is ListpackPairs for the ziplists of TypeHashZiplist and
// TypeZSetZiplist.
func ZiplistPairs(zl []byte) ([]Entry, error) {
	var c pairChecker
	_, err := walkZiplist(zl, func(off int, e Entry) error { return c.add(off, e, "ziplist") })
	if err == nil && len(c.out)%2 != 0 {
		err = zlErr(8, "odd number of entries (%d) for pairs", len(c.out))
	}
	if err != nil {
		return nil, err
	}
	return c.out, nil
}
