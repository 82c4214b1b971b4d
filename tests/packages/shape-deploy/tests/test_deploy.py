from rk_shape_deploy import VERSION_NAME


def test_name() -> None:
    assert VERSION_NAME == "deploy"
