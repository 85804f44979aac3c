"""Joint productions between partners: plans, shared drafts, approvals by all, joint publication."""
