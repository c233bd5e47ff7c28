//! One SSH connection to the sandbox's server: the login (the configured user, with the
//! configured password or one of the authorised public keys) and the `sftp` subsystem, nothing
//! else (no shell, no exec, no forwarding).
use super::files::Files;
use super::Shared;
use russh::keys::PublicKey;
use russh::server::{Auth, ChannelOpenHandle, Msg, Session};
use russh::{Channel, ChannelId};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub struct Connection {
    shared: Arc<Shared>,
    channels: HashMap<ChannelId, Channel<Msg>>,
}

impl Connection {
    pub fn new(shared: Arc<Shared>) -> Connection {
        Connection { shared, channels: HashMap::new() }
    }

    fn key_allowed(&self, user: &str, key: &PublicKey) -> bool {
        user == self.shared.user && self.shared.keys.iter().any(|k| k.key_data() == key.key_data())
    }

    fn accepted(&self) -> Auth {
        self.shared.logins.fetch_add(1, Ordering::SeqCst);
        Auth::Accept
    }
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        let good = self.shared.password.as_deref().is_some_and(|p| same(p.as_bytes(), password.as_bytes()));
        Ok(if user == self.shared.user && good { self.accepted() } else { Auth::reject() })
    }

    async fn auth_publickey_offered(&mut self, user: &str, key: &PublicKey) -> Result<Auth, Self::Error> {
        Ok(if self.key_allowed(user, key) { Auth::Accept } else { Auth::reject() })
    }

    async fn auth_publickey(&mut self, user: &str, key: &PublicKey) -> Result<Auth, Self::Error> {
        Ok(if self.key_allowed(user, key) { self.accepted() } else { Auth::reject() })
    }

    async fn channel_open_session(&mut self, channel: Channel<Msg>, reply: ChannelOpenHandle, _session: &mut Session) -> Result<(), Self::Error> {
        self.channels.insert(channel.id(), channel);
        reply.accept().await;
        Ok(())
    }

    async fn channel_eof(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), Self::Error> {
        session.close(channel)?;
        Ok(())
    }

    async fn subsystem_request(&mut self, id: ChannelId, name: &str, session: &mut Session) -> Result<(), Self::Error> {
        match self.channels.remove(&id) {
            Some(channel) if name == "sftp" => {
                session.channel_success(id)?;
                russh_sftp::server::run(channel.into_stream(), Files::new(self.shared.clone())).await;
            }
            _ => session.channel_failure(id)?,
        }
        Ok(())
    }
}
