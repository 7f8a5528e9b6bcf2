"""Real execution: runtime processes, their Runtime API endpoints, and AWS's platform log lines."""
