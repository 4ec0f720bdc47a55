"""One module per listener kind; each has `register(app, deps)`."""
