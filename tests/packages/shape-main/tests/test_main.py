import rk_shape_main


def test_home_reads_the_environment(mocker) -> None:
    mocker.patch.dict("os.environ", {"HOME": "/nowhere"})
    assert rk_shape_main.home() == "/nowhere"
