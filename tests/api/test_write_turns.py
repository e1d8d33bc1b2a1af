"""Writes of one environment take turns in arrival order, two at a time."""

from __future__ import annotations

import asyncio

from commonground.api.write_turns import IN_FLIGHT, WriteTurns


def test_writes_enter_in_arrival_order_and_at_most_two_at_once():
    turns = WriteTurns()
    entered: list[int] = []
    inside = 0
    most = 0

    async def write(number: int) -> None:
        nonlocal inside, most
        async with turns.turn("Sales"):
            entered.append(number)
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.001)
            inside -= 1

    async def main() -> None:
        await asyncio.gather(*(write(n) for n in range(12)))

    asyncio.run(main())
    assert entered == list(range(12))
    assert most == IN_FLIGHT


def test_each_environment_and_event_loop_has_its_own_turns():
    turns = WriteTurns()

    async def turn_of(name: str) -> object:
        return turns.turn(name)

    async def same_loop() -> tuple[object, object, object]:
        return await turn_of("Sales"), await turn_of("sales"), await turn_of("Service")

    sales, again, service = asyncio.run(same_loop())
    assert sales is again
    assert sales is not service
    assert asyncio.run(turn_of("Sales")) is not sales  # a new loop: a new semaphore
