"""Dashboard HTTP surface and the WebSocket, one file per screen family."""
