//! Bearer tokens with roles: `read` for queries, `operate` also for retries, resolves, triggers.
use crate::config::GrpcConfig;
use std::sync::Arc;
use subtle::ConstantTimeEq;
use tonic::{Request, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Read,
    Operate,
}

/// Who is calling: put on each authenticated request's extensions.
#[derive(Debug, Clone)]
pub struct Caller {
    /// A name safe to log and audit (the role and the token's position in the list).
    pub name: String,
    pub role: Role,
}

impl Caller {
    /// Refuses a caller whose role is below `needed`.
    pub fn require(&self, needed: Role) -> Result<(), Status> {
        if self.role >= needed {
            Ok(())
        } else {
            Err(Status::permission_denied("this call needs an operate token; the token given is read-only"))
        }
    }
}

/// Reads the caller put on the request by the interceptor.
pub fn caller<T>(req: &Request<T>) -> Result<Caller, Status> {
    req.extensions().get::<Caller>().cloned().ok_or_else(|| Status::unauthenticated("no caller on the request"))
}

#[derive(Clone)]
pub struct Authenticator {
    tokens: Arc<Vec<(Role, String)>>,
}

impl Authenticator {
    pub fn from_config(cfg: &GrpcConfig) -> Self {
        let tokens = cfg
            .tokens
            .iter()
            .filter_map(|t| match t.split_once(':') {
                Some(("read", tok)) => Some((Role::Read, tok.to_owned())),
                Some(("operate", tok)) => Some((Role::Operate, tok.to_owned())),
                _ => None,
            })
            .collect();
        Authenticator { tokens: Arc::new(tokens) }
    }

    fn identify(&self, presented: &str) -> Option<Caller> {
        let mut found = None;
        for (i, (role, tok)) in self.tokens.iter().enumerate() {
            if bool::from(tok.as_bytes().ct_eq(presented.as_bytes())) && found.is_none() {
                let label = match role {
                    Role::Read => "read",
                    Role::Operate => "operate",
                };
                found = Some(Caller { name: format!("{label}-token-{}", i + 1), role: *role });
            }
        }
        found
    }
}

impl tonic::service::Interceptor for Authenticator {
    fn call(&mut self, mut req: Request<()>) -> Result<Request<()>, Status> {
        let header = req
            .metadata()
            .get("authorization")
            .ok_or_else(|| Status::unauthenticated("missing authorization metadata: send `authorization: Bearer <token>`"))?;
        let presented = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| Status::unauthenticated("authorization must be `Bearer <token>`"))?;
        let caller = self.identify(presented.trim()).ok_or_else(|| Status::unauthenticated("unknown token"))?;
        req.extensions_mut().insert(caller);
        Ok(req)
    }
}
