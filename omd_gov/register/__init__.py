"""The transparency register (issue 8): a transparency officer publishes a
signed agreement as a public, redacted register entry, and may withdraw it
(a tombstone stays). ``policy`` says which fields are public, ``entries``
builds what the public sees, ``services`` publishes and withdraws,
``api`` is the officer's API. See docs/REGISTER.md."""
