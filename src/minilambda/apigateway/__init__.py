"""Amazon API Gateway: REST, HTTP and WebSocket APIs in front of the simulated Lambda."""
