package protocol

// Series of settlementd's /metrics (PathMetrics) that other programs read: `settlementd bench`
// takes its writes/commit and approvals/signature columns from them when the server runs in another
// process (docs/api.md, "GET /metrics").
const (
	// MetricStoreCommits counts the store's group commits (each one fsync on the embedded store);
	// MetricStoreCommitWrites the write requests in them.
	MetricStoreCommits      = "settlementd_store_commits_total"
	MetricStoreCommitWrites = "settlementd_store_commit_writes_total"
	// MetricApprovalGroups counts the Ed25519 group signatures over concurrent single approvals;
	// MetricApprovalGroupApprovals the approvals they proved.
	MetricApprovalGroups         = "settlementd_approval_groups_total"
	MetricApprovalGroupApprovals = "settlementd_approval_group_approvals_total"
)
