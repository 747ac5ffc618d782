package memory

import (
	"testing"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/blob/blobtest"
)

func TestConformance(t *testing.T) {
	blobtest.Test(t, func(t *testing.T) blob.Storage { return New() })
}
