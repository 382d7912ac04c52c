"""Small separate interpreters over the same IR: evaluate, partials, forward, backward,
symbolic, opcount."""
