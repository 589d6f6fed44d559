"""Publishing: scheduled posts, scheduling endpoints, and the publish protocol."""
