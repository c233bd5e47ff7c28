//! gRPC call metrics as a tower layer on the gRPC server: every call, including refused
//! ones (unauthenticated, unimplemented), counted by service, method and status code, with
//! its duration. The code is read from the response headers (errors) or trailers (success).
use futures::future::BoxFuture;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;
use tonic::codegen::http::{HeaderMap, Request, Response};
use tonic::codegen::Body;
use tower::{Layer, Service};

#[derive(Clone, Copy, Default)]
pub struct GrpcMetricsLayer;

impl<S> Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetrics<S>;
    fn layer(&self, inner: S) -> GrpcMetrics<S> {
        GrpcMetrics { inner }
    }
}

#[derive(Clone)]
pub struct GrpcMetrics<S> {
    inner: S,
}

/// One call being measured; recorded exactly once (when dropped unfinished: `Cancelled`).
struct Call {
    service: String,
    method: String,
    started: Instant,
    done: bool,
}

fn code_name(code: i32) -> &'static str {
    match tonic::Code::from_i32(code) {
        tonic::Code::Ok => "OK",
        tonic::Code::Cancelled => "CANCELLED",
        tonic::Code::Unknown => "UNKNOWN",
        tonic::Code::InvalidArgument => "INVALID_ARGUMENT",
        tonic::Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        tonic::Code::NotFound => "NOT_FOUND",
        tonic::Code::AlreadyExists => "ALREADY_EXISTS",
        tonic::Code::PermissionDenied => "PERMISSION_DENIED",
        tonic::Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        tonic::Code::FailedPrecondition => "FAILED_PRECONDITION",
        tonic::Code::Aborted => "ABORTED",
        tonic::Code::OutOfRange => "OUT_OF_RANGE",
        tonic::Code::Unimplemented => "UNIMPLEMENTED",
        tonic::Code::Internal => "INTERNAL",
        tonic::Code::Unavailable => "UNAVAILABLE",
        tonic::Code::DataLoss => "DATA_LOSS",
        tonic::Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

impl Call {
    fn new(path: &str) -> Self {
        // `/jlbridge.v1.ExceptionService/ListExceptions`; anything else is one label, to keep
        // stray requests from growing the label set.
        let (service, method) = match path.trim_start_matches('/').split_once('/') {
            Some((s, m)) if (s.starts_with("jlbridge.") || s.starts_with("grpc.")) && !m.contains('/') => {
                (s.to_owned(), m.to_owned())
            }
            _ => ("unknown".to_owned(), "unknown".to_owned()),
        };
        Call { service, method, started: Instant::now(), done: false }
    }

    fn finish_from(&mut self, headers: &HeaderMap) -> bool {
        let Some(code) = headers.get("grpc-status").and_then(|v| v.to_str().ok()?.parse::<i32>().ok()) else {
            return false;
        };
        self.record(code_name(code));
        true
    }

    fn record(&mut self, code: &'static str) {
        if self.done {
            return;
        }
        self.done = true;
        let labels = [("service", self.service.clone()), ("method", self.method.clone()), ("code", code.to_owned())];
        metrics::counter!("jlbridge_grpc_requests_total", &labels).increment(1);
        metrics::histogram!("jlbridge_grpc_request_duration_seconds", &labels[..2])
            .record(self.started.elapsed().as_secs_f64());
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.record("CANCELLED");
    }
}

impl<S, B, RB> Service<Request<B>> for GrpcMetrics<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
{
    type Response = Response<Tracked<RB>>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let mut call = Call::new(req.uri().path());
        let fut = self.inner.call(req);
        Box::pin(async move {
            let resp = fut.await?;
            call.finish_from(resp.headers());
            Ok(resp.map(|inner| Tracked { inner, call: Some(call) }))
        })
    }
}

/// The response body, watched for the trailers that carry the status code.
pub struct Tracked<B> {
    inner: B,
    call: Option<Call>,
}

impl<B: Body + Unpin> Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(trailers), Some(call)) = (frame.trailers_ref(), self.call.as_mut()) {
                    call.finish_from(trailers);
                }
            }
            Poll::Ready(None) => {
                if let Some(mut call) = self.call.take() {
                    call.record("OK");
                }
            }
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
