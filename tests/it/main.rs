mod edge_conformance;
mod edge_flow;
mod edge_paging_auth;
mod edge_rate_limit;
mod edge_support;
