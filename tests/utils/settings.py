"""Settings for a test's sandbox shops and database, in process or as a child's environment."""

SECRET_KEY = "test-secret-key-0123456789-abcdefghijkl"


def core_settings(shops, database_url: str, **extra):
    from orderbot.settings import Settings

    values = {
        **shops.environment(),
        "DATABASE_URL": database_url,
        "ORDERBOT_SECRET_KEY": SECRET_KEY,
        "ORDERBOT_ETSY_RATE": "1000",
        "ORDERBOT_TIKTOK_RATE": "1000",
        **extra,
    }
    return Settings(_env_file=None, **values)


def settings_environment(settings) -> dict[str, str]:
    """Settings as the environment variables (SPEC §7 names) a child process reads."""
    from orderbot.settings import reveal

    return {
        field.alias: str(reveal(getattr(settings, name)))
        for name, field in type(settings).model_fields.items()
        if getattr(settings, name) is not None and field.alias
    }
