"""Dashboard request and response bodies, and the WebSocket messages."""
