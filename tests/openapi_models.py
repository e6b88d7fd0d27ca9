"""pydantic models for tests/test_openapi.py (a module of their own: pydantic is optional)."""

from __future__ import annotations

import pydantic


class Address(pydantic.BaseModel):
    city: str


class Customer(pydantic.BaseModel):
    name: str
    address: Address
