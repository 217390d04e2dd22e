"""The library behind the gateway upgrade acceptance suite; the behave steps are thin calls into it."""
