package acl

import (
	"testing"

	"github.com/redoubt/redoubt/internal/command"
)

// Expected strings are what redis-server 7.0.15 prints for the same rules.
func TestDescribe(t *testing.T) {
	cases := []struct {
		rules []string
		want  string
	}{
		{nil, "off resetchannels -@all"},
		{[]string{"reset"}, "off sanitize-payload resetchannels -@all"},
		{[]string{"on", ">abc", "~k*", "%R~r*", "&ch", "+get", "+@read", "-@dangerous", "+config|get", "-set"},
			"on #ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad ~k* %R~r* resetchannels &ch -@all +@read +config|get -keys -sort_ro"},
		{[]string{"on", "nopass", "%RW~a", "%W~b", "allchannels", "+@all", "-@dangerous", "(~y +set)", "(%R~z", "-@all", "+@string)"},
			"on nopass ~a %W~b &* +@all -@dangerous (~y resetchannels -@all +set) (%R~z resetchannels -@all +@string)"},
		{[]string{"+@all", "-@admin", "-@dangerous"}, "off resetchannels +@all -@dangerous"},
		{[]string{"-@all", "+@read", "+@write"}, "off resetchannels -@all +@write +@read"},
		{[]string{"+get", "+set", "+@admin"}, "off resetchannels -@all +@admin +get +set"},
		{[]string{"+@read", "-get"}, "off resetchannels -@all +@read -get"},
		{[]string{"+@all", "-get"}, "off resetchannels +@all -get"},
		{[]string{"~x", "allkeys"}, "off ~* resetchannels -@all"},
	}
	for _, c := range cases {
		u := NewUser("u")
		if err := u.SetRules(c.rules); err != nil {
			t.Fatalf("%v: %v", c.rules, err)
		}
		if got := u.Describe(); got != c.want {
			t.Errorf("%v:\n got %q\nwant %q", c.rules, got, c.want)
		}
	}
	if got := NewDefaultUser().Describe(); got != "on nopass ~* &* +@all" {
		t.Errorf("default: %q", got)
	}
}

func TestErrors(t *testing.T) {
	cases := map[string]string{
		"bogus":      "ERR Error in ACL SETUSER modifier 'bogus': Syntax error",
		"+nosuch":    "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL",
		"+@nosuch":   "ERR Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in ACL",
		"#abc":       "ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
		"%X~a":       "ERR Error in ACL SETUSER modifier '%X~a': Syntax error",
		"<zz":        "ERR Error in ACL SETUSER modifier '<zz': The password you are trying to remove from the user does not exist",
		"(~x bogus)": "ERR Error in ACL SETUSER modifier '(~x bogus)': Syntax error",
		"(~x":        "ERR Unmatched parenthesis in acl selector starting at '(~x'.",
	}
	for rule, want := range cases {
		err := NewUser("u").SetRules([]string{rule})
		if err == nil || err.Error() != want {
			t.Errorf("%s: %v", rule, err)
		}
	}
}

func TestCheck(t *testing.T) {
	u := NewUser("u")
	if err := u.SetRules([]string{"on", "+get", "+set", "%R~r*", "~k*", "(+del ~d*)"}); err != nil {
		t.Fatal(err)
	}
	get, set, del := command.Lookup("get"), command.Lookup("set"), command.Lookup("del")
	args := func(s ...string) [][]byte {
		var out [][]byte
		for _, x := range s {
			out = append(out, []byte(x))
		}
		return out
	}
	if k, _ := u.Check(get, args("get", "r1")); k != OK {
		t.Error("get r1")
	}
	if k, p := u.Check(set, args("set", "r1", "v")); k != DeniedKey || p != 1 {
		t.Error("set r1", k, p)
	}
	if k, _ := u.Check(set, args("set", "k1", "v")); k != OK {
		t.Error("set k1")
	}
	if k, _ := u.Check(del, args("del", "d1")); k != OK {
		t.Error("del d1")
	}
	if k, _ := u.Check(del, args("del", "k1")); k != DeniedKey { // the selector's key denial outranks the root's command denial
		t.Error("del k1", k)
	}
}
