import anyio

from rk_shape_tag import answer


def test_answer_in_an_event_loop() -> None:
    async def main() -> int:
        return answer()

    assert anyio.run(main) == 42
