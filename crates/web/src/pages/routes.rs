//! The page routes and the router serving them, built together.
use axum::handler::Handler;
use axum::routing::{get, post, MethodRouter};
use axum::Router;

use crate::AppState;

/// One page route: the method and the path as the router serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PageRoute {
    pub method: &'static str,
    pub path: &'static str,
}

/// The page routes and the router serving them, built together so the list handed to tests (the
/// generated access matrix) cannot drift from what is served. Adding a page is one `.get` or
/// `.post` line here or in a module's `pages` function.
pub(crate) struct Pages {
    pub(crate) router: Router<AppState>,
    pub(crate) routes: Vec<PageRoute>,
}

impl Pages {
    pub(crate) fn new() -> Pages {
        Pages {
            router: Router::new(),
            routes: Vec::new(),
        }
    }

    fn add(mut self, method: &'static str, path: &'static str, m: MethodRouter<AppState>) -> Pages {
        self.routes.push(PageRoute { method, path });
        // The router merges the methods of one path added in separate calls.
        self.router = self.router.route(path, m);
        self
    }

    pub(crate) fn get<H, T>(self, path: &'static str, handler: H) -> Pages
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("GET", path, get(handler))
    }

    pub(crate) fn post<H, T>(self, path: &'static str, handler: H) -> Pages
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("POST", path, post(handler))
    }
}
