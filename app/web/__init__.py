"""Web plumbing shared by the blueprints: errors, security headers, template helpers."""
