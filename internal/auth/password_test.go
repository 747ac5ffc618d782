package auth

import (
	"strings"
	"testing"
)

// fast keeps tests quick; DefaultParams is checked once below.
var fast = Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestPasswordRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery", fast)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("PHC string %q", h)
	}
	h2, _ := HashPassword("correct horse battery", fast)
	if h == h2 {
		t.Error("two hashes of one password are equal: salt not random")
	}
	tests := []struct {
		pw             string
		want           Params
		ok, wantRehash bool
	}{
		{"correct horse battery", fast, true, false},
		{"correct horse batterY", fast, false, false},
		{"", fast, false, false},
		{"correct horse battery", Params{Time: 2, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}, true, true},
	}
	for _, tt := range tests {
		ok, rehash, err := VerifyPassword(tt.pw, h, tt.want)
		if err != nil || ok != tt.ok || rehash != tt.wantRehash {
			t.Errorf("VerifyPassword(%q) = %v, %v, %v; want %v, %v", tt.pw, ok, rehash, err, tt.ok, tt.wantRehash)
		}
	}
}

func TestDefaultParams(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB hash")
	}
	h, err := HashPassword("a long enough password", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if ok, rehash, err := VerifyPassword("a long enough password", h, DefaultParams); !ok || rehash || err != nil {
		t.Errorf("default params: %v %v %v", ok, rehash, err)
	}
}

func TestDecodePHCRejects(t *testing.T) {
	good, _ := HashPassword("pw", fast)
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	bad := []string{
		"",
		"plain",
		"$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1,x=2$" + salt + "$" + key,
		"$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key, // 4 TiB
		"$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$",
		"$argon2id$v=19$m=64,t=1,p=1$!!$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$",
	}
	for _, s := range bad {
		if _, _, _, err := decodePHC(s); err == nil {
			t.Errorf("decodePHC(%q) accepted", s)
		} else if strings.Contains(err.Error(), key) {
			t.Errorf("error quotes the hash: %v", err)
		}
	}
}

func FuzzDecodePHC(f *testing.F) {
	good, _ := HashPassword("pw", fast)
	f.Add(good)
	f.Add("$argon2id$v=19$m=65536,t=1,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := decodePHC(s)
		if err != nil {
			return
		}
		if p.check() != nil || len(salt) != p.SaltLen || len(key) != p.KeyLen {
			t.Fatalf("accepted out-of-range %+v", p)
		}
		if p.MemoryKiB > 1<<16 {
			return // keep the fuzzer fast; the range check above covers it
		}
		// A decoded string re-encodes to itself (canonical form only).
		if got := encodePHC(p, salt, key); got != s {
			t.Fatalf("re-encoded %q, want %q", got, s)
		}
	})
}

func TestCheckNewPassword(t *testing.T) {
	for pw, ok := range map[string]bool{
		"short":                   false,
		"twelve chars":            true,
		"пароль-из-кириллицы":     true,
		strings.Repeat("x", 1025): false,
		strings.Repeat("ы", 11):   false,
		strings.Repeat("ы", 12):   true,
	} {
		if err := CheckNewPassword(pw); (err == nil) != ok {
			t.Errorf("CheckNewPassword(%.20q) = %v, want ok %v", pw, err, ok)
		}
	}
}
