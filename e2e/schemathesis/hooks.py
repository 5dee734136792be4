"""schemathesis hooks for todo-api (loaded through SCHEMATHESIS_HOOKS by
scripts/lib/schemathesis.sh).

Every path names a user, and only the token's user (SCHEMATHESIS_USER,
"fuzzer" by default) may be served; any other valid user id is 403 by
design. So a schema-valid `user_id` is replaced by that user and the request
reaches the operation's logic, while an invalid one (negative testing) is
sent as generated and must be refused. Runs side by side each have a user of
their own, so one run's writes never meet another's checks.
"""

import os
import re

import schemathesis

FUZZER = os.environ.get("SCHEMATHESIS_USER", "fuzzer")
# The document's UserId pattern.
USER_ID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    user = (path_parameters or {}).get("user_id")
    if isinstance(user, str) and USER_ID.fullmatch(user):
        path_parameters["user_id"] = FUZZER
    return path_parameters
