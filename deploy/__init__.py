"""Deployment helpers: `deploy/stack.py` starts a local production-like stack (see docs/deploy.md)."""
