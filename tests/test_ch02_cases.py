"""Chapter 2: what answer files cannot show.  The wrong answers are in tests/answers/ch02/."""

import pytest

from course_lib import answers, check
from course_lib.support import ch02 as support

PASSED = {
    "2.1": "✓ 2.1 export_orders_csv: 300 awkward rows parse back exactly; an empty table gives the header; "
    "text/csv as an attachment; 40000 rows (3.4 MiB) began to arrive while the database was still being read; "
    "peak memory under 6 MiB.",
    "2.2": "✓ 2.2 orders_jsonl: application/jsonl, one Order per line, for 5 filter combinations on 300 awkward "
    "rows; 4 bad parameters answered 422 before any row was read; 2000 rows began to arrive while the database "
    "was still being read.",
    "2.3": "✓ 2.3 orders_json_array: valid JSON (json.loads and an incremental parser agree) for 0, 1, 2, 7 and "
    "300 orders, each an Order; 3000 elements began to arrive while the database was still being read.",
    "2.4": "✓ 2.4 job_progress: text/event-stream; ids 1-5 with their progress, each event sent before the next "
    "step; Last-Event-ID: 3 resumed with events 4 and 5 (steps 1-3 not rerun); Last-Event-ID: 5 ended at once.",
    "2.5": "✓ 2.5 revenue_by_status: totals right for 6990 orders (9.5 MiB of JSON Lines) cut at odd places; "
    "peak memory under 3 MiB; progress reported in 7 calls while the stream arrived; a 404 raised HTTPStatusError.",
}


@pytest.mark.parametrize("exercise_id", sorted(PASSED))
def test_the_reference_answer_gets_the_whole_check_line(exercise_id, capsys):
    check(exercise_id)
    assert capsys.readouterr().out.strip() == PASSED[exercise_id]


def test_the_exercise_module_offers_the_support_code_by_name():
    """Notebooks and the playground reach Order, Progress ... through answers("ch02_streaming_response")."""
    module = answers("ch02_streaming_response")
    for name in ("Order", "Progress", "Status", "job_steps", "orders_connection"):
        assert getattr(module, name) is getattr(support, name), name
