"""A translation service on loopback (far_side.py) for every test here, and a hub configured to use it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from newsbridge.config import Settings
from tests.translation.far_side import FarSide, far_side


@pytest.fixture
def service() -> Iterator[FarSide]:
    with far_side() as side:
        yield side


@pytest.fixture
def settings(settings: Settings, service: FarSide) -> Settings:
    return settings.replace(translator_url=service.url, translator_api_key=service.api_key,
                            allow_private_targets=("127.0.0.0/8",))


from tests.web.conftest import desk_app, sign_in  # noqa: E402,F401  (desk members signed in, for the pages)
