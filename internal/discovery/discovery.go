// Package discovery finds the brokers of each configured cluster through its name servers.
package discovery

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/lagboard/lagboard/internal/config"
	"github.com/lagboard/lagboard/internal/mqadmin"
)

// Admin is what discovery needs of the RocketMQ admin client.
type Admin interface {
	ClusterInfo(ctx context.Context, namesrvAddr string) (mqadmin.ClusterInfo, error)
	BrokerRuntimeInfo(ctx context.Context, brokerAddr string) (map[string]string, error)
}

// Cluster is a configured cluster as its name servers describe it.
type Cluster struct {
	Name         string
	NamesrvAddrs []string
	// Namesrv is the name server that answered.
	Namesrv string
	Brokers []Broker
	// Err says why the cluster could not be described; Brokers is empty then.
	Err error
	At  time.Time
}

// Broker is one broker group (a master and its slaves) of a cluster.
type Broker struct {
	Name string
	// RocketMQCluster is the brokerClusterName the broker registered with; one set of name
	// servers may serve several.
	RocketMQCluster string
	MasterAddr      string
	// Version is the broker's own version string, such as V5_3_3.
	Version string
	// Err says why the broker's runtime information could not be read.
	Err error
	// Answered is true when the broker answered, even with an error: 4.9.x brokers refuse
	// runtime information for a while after they start, which is not being down.
	Answered bool
}

// Target is a configured cluster and the admin client that reaches it.
type Target struct {
	Cluster config.Cluster
	Admin   Admin
}

// Directory describes the configured clusters.
type Directory struct {
	targets []Target
	// Timeout bounds describing one cluster, name servers and brokers together.
	Timeout time.Duration
}

// New returns a directory of the given clusters.
func New(targets []Target) *Directory {
	return &Directory{targets: targets, Timeout: 5 * time.Second}
}

// Check returns an error naming every cluster none of whose name servers answers.
func (d *Directory) Check(ctx context.Context) error {
	var errs []error
	for _, t := range d.targets {
		if _, _, err := clusterInfo(ctx, t); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Describe describes every cluster concurrently, each within the directory's timeout.
func (d *Directory) Describe(ctx context.Context) []Cluster {
	out := make([]Cluster, len(d.targets))
	var wg sync.WaitGroup
	for i, t := range d.targets {
		wg.Go(func() { out[i] = d.describe(ctx, t) })
	}
	wg.Wait()
	return out
}

func (d *Directory) describe(ctx context.Context, t Target) Cluster {
	ctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	c := t.Cluster
	res := Cluster{Name: c.Name, NamesrvAddrs: c.NamesrvAddrs, At: time.Now()}
	info, ns, err := clusterInfo(ctx, t)
	if err != nil {
		res.Err = err
		return res
	}
	res.Namesrv = ns
	for name, b := range info.Brokers {
		res.Brokers = append(res.Brokers, Broker{Name: name, RocketMQCluster: b.Cluster, MasterAddr: b.MasterAddr()})
	}
	sort.Slice(res.Brokers, func(i, j int) bool { return res.Brokers[i].Name < res.Brokers[j].Name })
	var wg sync.WaitGroup
	for i := range res.Brokers {
		b := &res.Brokers[i]
		if b.MasterAddr == "" {
			b.Err = errors.New("no master registered")
			continue
		}
		wg.Go(func() {
			kv, err := t.Admin.BrokerRuntimeInfo(ctx, b.MasterAddr)
			var answer *mqadmin.BrokerError
			b.Answered = err == nil || errors.As(err, &answer)
			if err != nil {
				b.Err = err
				return
			}
			b.Version = kv["brokerVersionDesc"]
		})
	}
	wg.Wait()
	return res
}

// clusterInfo asks the cluster's name servers in order and returns the first answer.
func clusterInfo(ctx context.Context, t Target) (mqadmin.ClusterInfo, string, error) {
	c := t.Cluster
	var errs []error
	for _, addr := range c.NamesrvAddrs {
		info, err := t.Admin.ClusterInfo(ctx, addr)
		if err == nil {
			return info, addr, nil
		}
		errs = append(errs, err)
	}
	return mqadmin.ClusterInfo{}, "", fmt.Errorf("cluster %q: no name server answered: %w", c.Name, errors.Join(errs...))
}
