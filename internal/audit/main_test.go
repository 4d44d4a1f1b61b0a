package audit

import (
	"testing"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

func TestMain(m *testing.M) { stacktest.Main(m) }
