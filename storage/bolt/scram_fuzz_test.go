package bolt

import (
	"errors"
	"testing"

	"github.com/minikafka/minikafka/storage"
)

func FuzzDecodeScram(f *testing.F) {
	f.Add([]byte("SCRAM-SHA-256/alice"), []byte(`{"v":1,"salt":"AQ==","stored_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","server_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","iterations":4096}`))
	f.Add([]byte("x"), []byte("{"))
	f.Add([]byte("SCRAM-SHA-512/"), []byte(`null`))
	f.Fuzz(func(t *testing.T, k, v []byte) {
		_, c, err := decodeScram(k, v)
		if err != nil {
			if !errors.Is(err, storage.ErrCorruptRecord) {
				t.Fatalf("error not marked corrupt: %v", err)
			}
			return
		}
		if c.Iterations <= 0 || len(c.StoredKey) != scramKeySizes[c.Mechanism] {
			t.Fatalf("accepted bad record %+v", c)
		}
	})
}
