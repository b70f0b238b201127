"""What the exercises build on but the learner does not write (a blob store, an audit log, a feed ...):
one module per chapter, imported by name at the top of the exercise file, by its solution and by the checks."""
