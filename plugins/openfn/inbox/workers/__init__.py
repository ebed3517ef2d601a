"""The inbox's background threads (writer, dispatcher, reply watcher, retention), on one loop base."""
