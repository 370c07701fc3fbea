/**
 * lamina's Node.js runtime client (`node-runtime/runtime.js` in the layer): the loop that speaks the Lambda Runtime
 * API for the function's handler. It is kept here as text because it is written to the layer, never imported, and
 * it must run on every Node.js from 8 on: CommonJS, ES2017 at most, no fetch, no `?.`/`??`, core modules only.
 * (It contains no backquote and no dollar-brace, so String.raw keeps it byte for byte.)
 */
export const NODE_RUNTIME_CLIENT = String.raw`'use strict';
// lamina's Node.js runtime client: speaks the Lambda Runtime API (2018-06-01) for one handler.
// Plain CommonJS with core modules only, so the same file runs on every Node.js from 8 on.

var http = require('http');
var path = require('path');
var fs = require('fs');
var util = require('util');

var API = process.env.AWS_LAMBDA_RUNTIME_API || '';
var API_HOST = API.split(':')[0];
var API_PORT = Number(API.split(':')[1] || 80);
var API_PREFIX = '/2018-06-01/runtime';

var currentRequestId = null;
var reportedFatal = false;

// Sends one request to the Runtime API. A fresh connection each time: an idle keep-alive socket would keep the
// event loop busy and hide the "empty event loop" a callback handler waits for.
function call(method, urlPath, body, headers) {
  return new Promise(function (resolve, reject) {
    var allHeaders = {};
    var name;
    for (name in headers || {}) allHeaders[name] = headers[name];
    var payload = body === undefined ? null : Buffer.from(body, 'utf8');
    if (payload) allHeaders['Content-Length'] = payload.length;
    var req = http.request(
      { host: API_HOST, port: API_PORT, method: method, path: API_PREFIX + urlPath, headers: allHeaders, agent: false },
      function (res) {
        var chunks = [];
        res.on('data', function (chunk) { chunks.push(chunk); });
        res.on('end', function () {
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      }
    );
    req.on('error', reject);
    req.end(payload || undefined);
  });
}

// The error object Lambda expects: {errorType, errorMessage, stackTrace}.
function errorBody(error, fallbackType) {
  if (error instanceof Error) {
    return {
      errorType: error.name || fallbackType || 'Error',
      errorMessage: error.message,
      stackTrace: String(error.stack || '').split('\n')
    };
  }
  if (typeof error === 'string') return { errorType: 'string', errorMessage: error, stackTrace: [] };
  var message;
  try { message = JSON.stringify(error); } catch (e) { message = String(error); }
  return { errorType: fallbackType || typeof error, errorMessage: String(message), stackTrace: [] };
}

function typedError(type, message, cause) {
  var error = new Error(message);
  error.name = type;
  if (cause && cause.stack) error.stack = type + ': ' + message + '\n' + cause.stack;
  return error;
}

function postError(urlPath, body) {
  var text;
  try { text = JSON.stringify(body); } catch (e) { text = JSON.stringify({ errorType: body.errorType, errorMessage: String(body.errorMessage) }); }
  return call('POST', urlPath, text, {
    'Content-Type': 'application/json',
    'Lambda-Runtime-Function-Error-Type': body.errorType
  });
}

function logError(prefix, body) {
  process.stderr.write(prefix + ' ' + JSON.stringify(body) + '\n');
}

// Something went wrong outside any promise chain we own: report it where Lambda expects it, then stop.
function fatal(error, type) {
  if (reportedFatal) return;
  reportedFatal = true;
  var body = errorBody(error, type);
  if (type && !(error instanceof Error)) body.errorType = type;
  var target = currentRequestId ? '/invocation/' + currentRequestId + '/error' : '/init/error';
  logError(currentRequestId ? 'Invoke Error' : 'Init Error', body);
  postError(target, body).then(
    function () { process.exit(1); },
    function () { process.exit(1); }
  );
}

process.on('uncaughtException', function (error) { fatal(error, 'Runtime.UncaughtException'); });
process.on('unhandledRejection', function (reason) {
  var error = reason instanceof Error ? reason : typedError('Runtime.UnhandledPromiseRejection', String(reason));
  if (reason instanceof Error) error = typedError('Runtime.UnhandledPromiseRejection', reason.name + ': ' + reason.message, reason);
  fatal(error, 'Runtime.UnhandledPromiseRejection');
});

// Lambda prefixes each console line with the time, the request id and the level.
function patchConsole() {
  var levels = { log: 'INFO', info: 'INFO', debug: 'DEBUG', warn: 'WARN', error: 'ERROR', trace: 'TRACE' };
  Object.keys(levels).forEach(function (method) {
    console[method] = function () {
      var text = util.format.apply(util, arguments);
      if (method === 'trace') text += '\n' + String(new Error().stack).split('\n').slice(2).join('\n');
      var line = new Date().toISOString() + '\t' + (currentRequestId || 'undefined') + '\t' + levels[method] + '\t' + text;
      process.stdout.write(line.replace(/\n(?!$)/g, '\r') + '\n');
    };
  });
}

// _HANDLER is "path/to/module.export" (the export may be nested: "module.a.b").
function loadHandler() {
  var spec = process.env._HANDLER || '';
  var taskRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
  var slash = spec.lastIndexOf('/');
  var base = spec.slice(slash + 1);
  var dot = base.indexOf('.');
  if (dot <= 0 || dot === base.length - 1) {
    throw typedError('Runtime.MalformedHandlerName', "Bad handler '" + spec + "': expected module.function, e.g. index.handler");
  }
  var moduleName = spec.slice(0, slash + 1) + base.slice(0, dot);
  var exportPath = base.slice(dot + 1).split('.');
  var modulePath = path.resolve(taskRoot, moduleName);
  var loaded;
  try {
    if (fs.existsSync(modulePath + '.mjs')) {
      return loadEsm(modulePath + '.mjs', exportPath, spec);
    }
    var candidates = [modulePath + '.js', modulePath + '.cjs', modulePath];
    var file = null;
    for (var i = 0; i < candidates.length && !file; i++) {
      if (fs.existsSync(candidates[i]) && (i < 2 || fs.statSync(candidates[i]).isDirectory())) file = candidates[i];
    }
    if (!file) {
      throw typedError('Runtime.ImportModuleError', "Error: Cannot find module '" + moduleName + "'");
    }
    loaded = require(file);
  } catch (error) {
    throw classifyLoadError(error);
  }
  return Promise.resolve(pick(loaded, exportPath, spec));
}

function loadEsm(file, exportPath, spec) {
  var importModule;
  try {
    // Built at run time so Node.js versions without import() can still parse this file.
    importModule = new Function('specifier', 'return import(specifier)');
  } catch (error) {
    throw typedError('Runtime.ImportModuleError', 'this Node.js version cannot load ES modules (' + file + ')');
  }
  return importModule(require('url').pathToFileURL(file).href).then(
    function (namespace) { return pick(namespace, exportPath, spec); },
    function (error) { throw classifyLoadError(error); }
  );
}

function classifyLoadError(error) {
  if (error && /^Runtime\./.test(error.name || '')) return error;
  if (error instanceof SyntaxError) return typedError('Runtime.UserCodeSyntaxError', 'SyntaxError: ' + error.message, error);
  if (error && error.code === 'MODULE_NOT_FOUND') return typedError('Runtime.ImportModuleError', 'Error: ' + error.message, error);
  return error;
}

function pick(loaded, exportPath, spec) {
  var value = loaded;
  for (var i = 0; i < exportPath.length && value !== undefined && value !== null; i++) value = value[exportPath[i]];
  if (typeof value !== 'function') {
    throw typedError('Runtime.HandlerNotFound', spec + ' is undefined or not exported');
  }
  return value;
}

function header(headers, name) {
  var value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseJsonHeader(value) {
  if (!value) return undefined;
  try { return JSON.parse(value); } catch (e) { return undefined; }
}

function makeContext(headers, requestId, settle) {
  var deadline = Number(header(headers, 'lambda-runtime-deadline-ms'));
  var context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: header(headers, 'lambda-runtime-invoked-function-arn'),
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: parseJsonHeader(header(headers, 'lambda-runtime-cognito-identity')),
    clientContext: parseJsonHeader(header(headers, 'lambda-runtime-client-context')),
    getRemainingTimeInMillis: function () { return Math.max(0, deadline - Date.now()); },
    done: function (error, result) { settle(error, result); },
    succeed: function (result) { settle(null, result); },
    fail: function (error) { settle(error || new Error('handler failed')); }
  };
  return context;
}

// Runs the handler once; resolves to the result or rejects with the handler's error.
function runHandler(handler, event, headers, requestId) {
  return new Promise(function (resolve, reject) {
    var finished = false;
    var callbackCalled = false;
    var context;
    function finish(error, result) {
      if (finished) return;
      finished = true;
      if (error !== null && error !== undefined) reject(error);
      else resolve(result);
    }
    // A callback handler's response goes out once the event loop is empty, unless it says not to wait.
    function callback(error, result) {
      if (callbackCalled) return;
      callbackCalled = true;
      if (context.callbackWaitsForEmptyEventLoop) {
        process.once('beforeExit', function () { finish(error, result); });
      } else {
        finish(error, result);
      }
    }
    context = makeContext(headers, requestId, callback);
    var returned;
    try {
      returned = handler(event, context, callback);
    } catch (error) {
      finish(error);
      return;
    }
    if (returned && typeof returned.then === 'function') {
      returned.then(
        function (result) { finish(null, result); },
        function (error) { finish(error === undefined || error === null ? new Error('handler rejected with ' + error) : error); }
      );
    } else if (handler.length < 3) {
      // A synchronous handler that takes no callback answers null once its work is done, as on Lambda.
      process.once('beforeExit', function () { if (!callbackCalled) finish(null, returned); });
    }
  });
}

function nextInvocation(handler) {
  call('GET', '/invocation/next').then(function (res) {
    if (res.status !== 200) {
      process.stderr.write('lamina node runtime: Runtime API answered next with ' + res.status + ': ' + res.body + '\n');
      process.exit(1);
    }
    var requestId = header(res.headers, 'lambda-runtime-aws-request-id');
    var traceId = header(res.headers, 'lambda-runtime-trace-id');
    if (traceId) process.env._X_AMZN_TRACE_ID = traceId;
    else delete process.env._X_AMZN_TRACE_ID;
    currentRequestId = requestId;
    var event;
    try {
      event = JSON.parse(res.body);
    } catch (error) {
      return answerError(requestId, typedError('Runtime.UnmarshalError', 'Unable to parse the event as JSON: ' + error.message)).then(function () { nextInvocation(handler); });
    }
    return runHandler(handler, event, res.headers, requestId).then(
      function (result) {
        var text;
        try {
          text = JSON.stringify(result === undefined ? null : result);
        } catch (error) {
          return answerError(requestId, typedError('Runtime.SerializationError', 'Unable to stringify the response: ' + error.message));
        }
        return call('POST', '/invocation/' + requestId + '/response', text, { 'Content-Type': 'application/json' }).then(function (posted) {
          if (posted.status >= 300) process.stderr.write('lamina node runtime: response not accepted (' + posted.status + '): ' + posted.body + '\n');
        });
      },
      function (error) { return answerError(requestId, error); }
    ).then(function () {
      currentRequestId = null;
      nextInvocation(handler);
    });
  }).catch(function (error) {
    process.stderr.write('lamina node runtime: cannot reach the Runtime API at ' + API + ': ' + error.message + '\n');
    process.exit(1);
  });
}

function answerError(requestId, error) {
  var body = errorBody(error);
  logError('Invoke Error', body);
  return postError('/invocation/' + requestId + '/error', body);
}

function main() {
  if (!API) {
    process.stderr.write('lamina node runtime: AWS_LAMBDA_RUNTIME_API is not set; run this through Lambda or lamina invoke\n');
    process.exit(1);
  }
  patchConsole();
  var loading;
  try {
    loading = loadHandler();
  } catch (error) {
    loading = Promise.reject(error);
  }
  loading.then(
    function (handler) { nextInvocation(handler); },
    function (error) { fatal(error, error && error.name); }
  );
}

main();
`;
