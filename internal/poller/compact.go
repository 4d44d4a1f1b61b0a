package poller

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/storage"
)

// CompactorConfig configures the Compactor.
type CompactorConfig struct {
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// Retention of history; storage.DefaultRetention when zero.
	Retention storage.Retention
	// Interval between rounds; 10 s when zero. A round packs batches for at most half of it.
	Interval time.Duration
	// BatchRows bounds one batch (one transaction); 20,000 when zero.
	BatchRows int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Compactor packs the history the pollers write as single rows into packed rows and rolls
// minute points up into hourly trends (storage.CompactHistory), off the pollers' cycles:
// one per process, and one process at a time does the work.
type Compactor struct {
	cfg    CompactorConfig
	failed string
}

// NewCompactor returns a compactor with defaults filled in.
func NewCompactor(cfg CompactorConfig) *Compactor {
	if cfg.Retention == (storage.Retention{}) {
		cfg.Retention = storage.DefaultRetention
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Second
	}
	if cfg.BatchRows <= 0 {
		cfg.BatchRows = 20_000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Compactor{cfg: cfg}
}

// Run compacts every interval until ctx is cancelled.
func (c *Compactor) Run(ctx context.Context) error {
	tick := time.NewTicker(c.cfg.Interval)
	defer tick.Stop()
	for {
		c.Round(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Round packs batches while there is work, for at most half the interval, and returns the
// number of batches done.
func (c *Compactor) Round(ctx context.Context) int {
	start := time.Now()
	batches := 0
	for ctx.Err() == nil && time.Since(start) < c.cfg.Interval/2 {
		res, err := storage.CompactHistory(ctx, c.cfg.Pool, c.cfg.Now(), c.cfg.Retention, c.cfg.BatchRows)
		if err != nil {
			if msg := err.Error(); msg != c.failed {
				c.failed = msg
				c.cfg.Logger.Warn("cannot pack history", "err", err)
			}
			return batches
		}
		if c.failed != "" {
			c.cfg.Logger.Info("packing history again", "was", c.failed)
			c.failed = ""
		}
		if res.Dropped {
			c.cfg.Logger.Info("packed history", "partition", res.Partition)
		}
		if !res.More {
			return batches
		}
		batches++
	}
	return batches
}
