"""Database mechanics shared by the services: the one commit, bulk writes and the fast read path."""
