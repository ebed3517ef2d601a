"""What happens inside a task: initial state, credentials, the operations, the final state."""
