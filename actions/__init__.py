"""rasa-sdk actions, one module per capability (started by `rasa run actions`)."""
