/**
 * The Bash custom runtime's `bootstrap`: the AWS Lambda tutorial's runtime
 * (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-walkthrough.html) made correct.
 *
 * Differences from the tutorial, and why:
 * - a handler that exits non-zero is reported to /invocation/{id}/error (the tutorial posts its output as success);
 * - a missing handler file or function is reported to /init/error, then the runtime exits (the tutorial dies silently
 *   under `set -e`, and Lambda only sees a crash);
 * - no temporary files at all: curl writes the headers and the body to one stream that is split in memory (the
 *   tutorial leaks one `mktemp` file per event, which fills /tmp on a warm runtime);
 * - headers are matched case-insensitively with CR stripped, and the request id is taken whole;
 * - bodies go to curl on stdin, not on its command line, so large responses do not hit the argument size limit.
 *
 * The handler contract is the tutorial's: `_HANDLER=file.function` sources `$LAMBDA_TASK_ROOT/file.sh` and calls
 * `function "$EVENT_JSON"`; what it prints on stdout is the response, what it prints on stderr goes to the logs.
 * The runtime's own names start with `__lamina_` so a sourced script does not clobber them.
 */
// Written with String.raw so bash's backslashes stay as they are; `\${` only keeps TypeScript from interpolating.
export const BASH_BOOTSTRAP = String.raw`#!/bin/bash
# lamina Bash runtime for AWS Lambda (provided.al2023 / provided.al2). Needs bash >= 4 and curl.
set -o pipefail

__lamina_api="http://\${AWS_LAMBDA_RUNTIME_API:?AWS_LAMBDA_RUNTIME_API is not set}/2018-06-01/runtime"

# Prints its argument as a JSON string.
__lamina_json_string() {
  local s
  s=$(printf '%s' "$1" | tr -d '\000-\010\013\014\016-\037')
  s=\${s//\\/\\\\}
  s=\${s//\"/\\\"}
  s=\${s//$'\n'/\\n}
  s=\${s//$'\r'/\\r}
  s=\${s//$'\t'/\\t}
  printf '"%s"' "$s"
}

# Posts {errorType, errorMessage} to a Runtime API path.
__lamina_post_error() {
  local path=$1 type=$2 message=$3
  printf '{"errorType":%s,"errorMessage":%s}' "$(__lamina_json_string "$type")" "$(__lamina_json_string "$message")" |
    curl -sS -o /dev/null -X POST "$__lamina_api/$path" \
      -H "Lambda-Runtime-Function-Error-Type: $type" -H 'Content-Type: application/json' -H 'Expect:' \
      --data-binary @-
}

# Reports an init failure to Lambda and stops the runtime.
__lamina_init_error() {
  echo "$1: $2" >&2
  __lamina_post_error init/error "$1" "$2"
  exit 1
}

# Initialization: _HANDLER is file.function; the file part may contain folders and dots, the function may not.
__lamina_handler_spec=\${_HANDLER:-}
case "$__lamina_handler_spec" in
  *.*) ;;
  *) __lamina_init_error Runtime.MalformedHandlerName "handler '$__lamina_handler_spec' is not of the form file.function" ;;
esac
__lamina_handler_file="\${LAMBDA_TASK_ROOT:-.}/\${__lamina_handler_spec%.*}.sh"
__lamina_handler_function=\${__lamina_handler_spec##*.}
if [ -z "\${__lamina_handler_spec%.*}" ] || [ -z "$__lamina_handler_function" ]; then
  __lamina_init_error Runtime.MalformedHandlerName "handler '$__lamina_handler_spec' is not of the form file.function"
fi
if [ ! -f "$__lamina_handler_file" ]; then
  __lamina_init_error Runtime.ImportModuleError "handler file $__lamina_handler_file does not exist"
fi
# shellcheck disable=SC1090
if ! source "$__lamina_handler_file"; then
  __lamina_init_error Runtime.ImportModuleError "sourcing $__lamina_handler_file failed"
fi
if ! declare -F "$__lamina_handler_function" >/dev/null; then
  __lamina_init_error Runtime.HandlerNotFound "$__lamina_handler_file defines no function '$__lamina_handler_function'"
fi

# Processing: one event at a time, for as long as Lambda keeps the runtime.
while true; do
  # -D - puts the headers before the body on stdout: no temporary file.
  __lamina_raw=$(curl -sS -D - "$__lamina_api/invocation/next") || {
    echo "lamina bash runtime: cannot reach the Runtime API at $__lamina_api" >&2
    exit 1
  }
  __lamina_headers=\${__lamina_raw%%$'\r\n\r\n'*}
  __lamina_event=\${__lamina_raw#*$'\r\n\r\n'}
  [ "$__lamina_headers" = "$__lamina_raw" ] && __lamina_event=

  __lamina_request_id=
  unset _X_AMZN_TRACE_ID
  while IFS= read -r __lamina_line; do
    __lamina_line=\${__lamina_line%$'\r'}
    __lamina_value=\${__lamina_line#*:}
    __lamina_value=\${__lamina_value#"\${__lamina_value%%[![:space:]]*}"}
    __lamina_value=\${__lamina_value%"\${__lamina_value##*[![:space:]]}"}
    __lamina_name=\${__lamina_line%%:*}
    case "\${__lamina_name,,}" in
      lambda-runtime-aws-request-id) __lamina_request_id=$__lamina_value ;;
      lambda-runtime-trace-id) export _X_AMZN_TRACE_ID=$__lamina_value ;;
      lambda-runtime-deadline-ms) export LAMBDA_RUNTIME_DEADLINE_MS=$__lamina_value ;;
      lambda-runtime-invoked-function-arn) export LAMBDA_RUNTIME_INVOKED_FUNCTION_ARN=$__lamina_value ;;
    esac
  done <<< "$__lamina_headers"
  if [ -z "$__lamina_request_id" ]; then
    echo "lamina bash runtime: the Runtime API sent an event without Lambda-Runtime-Aws-Request-Id" >&2
    exit 1
  fi
  export LAMBDA_RUNTIME_AWS_REQUEST_ID=$__lamina_request_id

  # A subshell, so a handler that calls exit or changes the shell does not take the runtime down with it.
  __lamina_response=$("$__lamina_handler_function" "$__lamina_event")
  __lamina_status=$?
  if [ "$__lamina_status" -eq 0 ]; then
    printf '%s' "$__lamina_response" |
      curl -sS -o /dev/null -X POST "$__lamina_api/invocation/$__lamina_request_id/response" -H 'Expect:' --data-binary @-
  else
    __lamina_message="$__lamina_handler_function exited with status $__lamina_status"
    [ -n "$__lamina_response" ] && __lamina_message="$__lamina_message: $__lamina_response"
    __lamina_post_error "invocation/$__lamina_request_id/error" Runtime.HandlerError "$__lamina_message"
  fi
done
`.replace(/\\\$\{/g, '${');
