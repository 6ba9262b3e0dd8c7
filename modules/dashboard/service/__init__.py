"""Dashboard use cases: folds of other modules' events into read models, notifications, sockets."""
