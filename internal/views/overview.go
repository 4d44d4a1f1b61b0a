package views

import "time"

// Overview is the first page: every configured cluster and its brokers as the name
// servers report them now.
type Overview struct {
	Clusters  []ClusterCard
	CheckedAt time.Time
}

// ClusterCard is one cluster on the overview.
type ClusterCard struct {
	Name         string
	NamesrvAddrs []string
	Brokers      []BrokerRow
	// Err says why the cluster could not be described; empty when it could.
	Err string
}

// BrokerRow is one broker of a cluster.
type BrokerRow struct {
	Name    string
	Addr    string
	Version string
	// Err says why the version is missing; Unreachable tells a broker that did not answer
	// from one that answered without runtime information.
	Err         string
	Unreachable bool
}
