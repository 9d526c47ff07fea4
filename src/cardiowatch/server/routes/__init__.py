"""One APIRouter per resource, assembled in `cardiowatch.server.app`."""
