package mem_test

import (
	"testing"

	"github.com/minikafka/minikafka/storage"
	"github.com/minikafka/minikafka/storage/mem"
	"github.com/minikafka/minikafka/storage/storagetest"
)

func TestACLStoreConformance(t *testing.T) {
	storagetest.RunACLStoreSuite(t, storagetest.ACLStoreHarness{
		New: func(*testing.T) storage.ACLStore { return mem.NewACLStore() },
	})
}
