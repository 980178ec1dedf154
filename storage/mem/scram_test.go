package mem_test

import (
	"testing"

	"github.com/minikafka/minikafka/storage"
	"github.com/minikafka/minikafka/storage/mem"
	"github.com/minikafka/minikafka/storage/storagetest"
)

func TestScramStoreConformance(t *testing.T) {
	storagetest.RunScramStore(t, func(*testing.T) storage.ScramStore { return mem.NewScramStore() })
	storagetest.RunScramStore(t, func(*testing.T) storage.ScramStore { return &mem.ScramStore{} })
}
