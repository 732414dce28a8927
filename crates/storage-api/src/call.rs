//! [`Call`]: one asynchronous API call, awaited Promise-style or driven with callbacks.
//!
//! Every asynchronous facade method (`set_storage`, `get_storage`…) returns a [`Call`]. Awaiting
//! it is the Promise style: `Ok` on success, `Err` on failure. Adding any of
//! [`success`](Call::success), [`fail`](Call::fail) or [`complete`](Call::complete) (or a whole
//! [`Callbacks`] struct) turns it into the callback style: awaiting it then runs the call and
//! invokes exactly one of `success` / `fail`, then `complete`, each at most once, and resolves to
//! `()`, as a JavaScript call given callbacks returns nothing.
//!
//! The futures are `Send + 'static`, so a host may `tokio::spawn` them, or run them on any
//! executor, including [`storage_core::block_on`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A boxed, spawnable future.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A `success` callback: gets the platform-shaped success result.
///
/// ```
/// use storage_api::{GeneralResult, SuccessFn};
/// let success: SuccessFn<GeneralResult> = Box::new(|res| assert_eq!(res.err_msg, "setStorage:ok"));
/// success(GeneralResult::ok("setStorage"));
/// ```
pub type SuccessFn<S> = Box<dyn FnOnce(S) + Send + 'static>;
/// A `fail` callback: gets the platform-shaped failure.
///
/// ```
/// use storage_api::{FailFn, MyError};
/// let fail: FailFn<MyError> = Box::new(|err| eprintln!("{}: {}", err.error, err.error_message));
/// ```
pub type FailFn<F> = Box<dyn FnOnce(F) + Send + 'static>;
/// A `complete` callback: gets whatever `success` or `fail` got, as a `Result`.
///
/// ```
/// use storage_api::{CompleteFn, GeneralResult, WxError};
/// let complete: CompleteFn<GeneralResult, WxError> = Box::new(|res| println!("done: {}", res.is_ok()));
/// complete(Ok(GeneralResult::ok("clearStorage")));
/// ```
pub type CompleteFn<S, F> = Box<dyn FnOnce(Result<S, F>) + Send + 'static>;

/// One asynchronous API call, not started until awaited.
///
/// `S` is the success result (`{errMsg: "setStorage:ok"}`, `{data}`…) and `F` the failure
/// (`{errMsg, errno}`, `{error, errorMessage}`…), both serializable to exactly the JSON a
/// mini-program sees.
///
/// ```
/// use storage_api::Mpstore;
/// use storage_core::{block_on, Scope};
/// let wx = Mpstore::in_memory().mini_program("user", "app", Scope::App).unwrap().wx();
/// // Promise style: await it.
/// let ok = block_on(wx.set_storage("key", "value")).unwrap();
/// assert_eq!(serde_json::to_value(ok).unwrap(), serde_json::json!({"errMsg": "setStorage:ok"}));
/// // Callback style: add callbacks, then await (or spawn) it.
/// block_on(
///     wx.get_storage("key")
///         .success(|res| assert_eq!(res.data, "value".into()))
///         .fail(|err| panic!("{err}"))
///         .complete(|res| assert!(res.is_ok())),
/// );
/// ```
#[must_use = "a Call does nothing until it is awaited"]
pub struct Call<S, F> {
    future: BoxFuture<Result<S, F>>,
    /// What a success fires once it is delivered: after `success`, before `complete` (the
    /// listeners of the API, `wx.onInteractiveStorageModified`'s).
    on_success: Option<Box<dyn FnOnce() + Send + 'static>>,
}

impl<S, F> Call<S, F> {
    pub(crate) fn new(future: impl Future<Output = Result<S, F>> + Send + 'static) -> Self {
        Call {
            future: Box::pin(future),
            on_success: None,
        }
    }

    /// The same call, running `fire` after a success is delivered.
    pub(crate) fn firing(mut self, fire: impl FnOnce() + Send + 'static) -> Self {
        self.on_success = Some(Box::new(fire));
        self
    }

    /// Runs the call to completion on this thread, with no async runtime (the Promise's outcome).
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let tt = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().tt();
    /// assert_eq!(tt.get_storage("missing").wait().unwrap_err().err_no, 21101);
    /// ```
    pub fn wait(self) -> Result<S, F> {
        storage_core::block_on(self)
    }

    /// Gives every callback at once, as a bridge that received a JS options object would.
    ///
    /// ```
    /// # use storage_api::{Callbacks, Mpstore};
    /// # use storage_core::{block_on, Scope};
    /// let my = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().my();
    /// let callbacks = Callbacks {
    ///     success: Some(Box::new(|res| println!("{res:?}"))),
    ///     ..Callbacks::default()
    /// };
    /// block_on(my.set_storage("k", "v").callbacks(callbacks));
    /// ```
    pub fn callbacks(self, callbacks: Callbacks<S, F>) -> WithCallbacks<S, F> {
        WithCallbacks {
            call: self,
            callbacks: Some(callbacks),
        }
    }

    /// Adds a `success` callback (see [`WithCallbacks::success`]).
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let tt = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().tt();
    /// tt.set_storage("k", 1).success(|res| assert_eq!(res.err_msg, "setStorage:ok")).wait();
    /// ```
    pub fn success(self, f: impl FnOnce(S) + Send + 'static) -> WithCallbacks<S, F> {
        self.callbacks(Callbacks::default()).success(f)
    }

    /// Adds a `fail` callback (see [`WithCallbacks::fail`]).
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let tt = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().tt();
    /// tt.get_storage("missing").fail(|err| assert_eq!(err.err_no, 21101)).wait();
    /// ```
    pub fn fail(self, f: impl FnOnce(F) + Send + 'static) -> WithCallbacks<S, F> {
        self.callbacks(Callbacks::default()).fail(f)
    }

    /// Adds a `complete` callback (see [`WithCallbacks::complete`]).
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let my = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().my();
    /// my.get_storage("missing").complete(|res| assert!(res.unwrap().data.js_type() == storage_core::JsType::Null)).wait();
    /// ```
    pub fn complete(self, f: impl FnOnce(Result<S, F>) + Send + 'static) -> WithCallbacks<S, F> {
        self.callbacks(Callbacks::default()).complete(f)
    }
}

impl<S, F> Future for Call<S, F> {
    type Output = Result<S, F>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let outcome = std::task::ready!(self.future.as_mut().poll(cx));
        if outcome.is_ok() {
            if let Some(fire) = self.on_success.take() {
                fire();
            }
        }
        Poll::Ready(outcome)
    }
}

impl<S, F> fmt::Debug for Call<S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Call")
    }
}

/// The three optional callbacks of an asynchronous call, as a JS options object carries them.
///
/// Each is optional and called at most once (they are `FnOnce`): exactly one of `success` and
/// `fail`, then `complete`, in every outcome.
///
/// ```
/// use storage_api::{Callbacks, GeneralResult, WxError};
/// let callbacks: Callbacks<GeneralResult, WxError> = Callbacks {
///     fail: Some(Box::new(|err| eprintln!("{err}"))),
///     complete: Some(Box::new(|_| println!("complete"))),
///     ..Callbacks::default()
/// };
/// ```
pub struct Callbacks<S, F> {
    /// Called with the success result.
    pub success: Option<SuccessFn<S>>,
    /// Called with the failure.
    pub fail: Option<FailFn<F>>,
    /// Called last, in every outcome, with what `success` or `fail` got.
    pub complete: Option<CompleteFn<S, F>>,
}

impl<S, F> Default for Callbacks<S, F> {
    fn default() -> Self {
        Callbacks {
            success: None,
            fail: None,
            complete: None,
        }
    }
}

impl<S, F> fmt::Debug for Callbacks<S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callbacks")
            .field("success", &self.success.is_some())
            .field("fail", &self.fail.is_some())
            .field("complete", &self.complete.is_some())
            .finish()
    }
}

impl<S: Clone, F: Clone> Callbacks<S, F> {
    /// Delivers `outcome`: `success` or `fail`, then `complete`. [`WithCallbacks`] calls it
    /// when its call ends; a host with an outcome of its own (from a bridge) may call it too.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use storage_api::{Callbacks, GeneralResult, WxError};
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let (s, c) = (seen.clone(), seen.clone());
    /// let callbacks: Callbacks<GeneralResult, WxError> = Callbacks {
    ///     success: Some(Box::new(move |_| s.lock().unwrap().push("success"))),
    ///     complete: Some(Box::new(move |_| c.lock().unwrap().push("complete"))),
    ///     ..Callbacks::default()
    /// };
    /// callbacks.deliver(Ok(GeneralResult::ok("setStorage")));
    /// assert_eq!(*seen.lock().unwrap(), ["success", "complete"]);
    /// ```
    pub fn deliver(self, outcome: Result<S, F>) {
        self.deliver_firing(outcome, None);
    }

    /// [`deliver`](Self::deliver), with what a success fires between `success` and `complete`.
    fn deliver_firing(self, outcome: Result<S, F>, fire: Option<Box<dyn FnOnce() + Send>>) {
        // Clone only when `complete` needs its own copy.
        let for_complete = self.complete.as_ref().map(|_| outcome.clone());
        match outcome {
            Ok(res) => {
                if let Some(success) = self.success {
                    success(res);
                }
                if let Some(fire) = fire {
                    fire();
                }
            }
            Err(err) => {
                if let Some(fail) = self.fail {
                    fail(err);
                }
            }
        }
        if let (Some(complete), Some(outcome)) = (self.complete, for_complete) {
            complete(outcome);
        }
    }
}

/// A [`Call`] with callbacks: awaiting it runs the call, delivers the outcome to the callbacks
/// and resolves to `()`. It is `Send + 'static`: spawn it on any executor.
///
/// ```
/// # use storage_api::Mpstore;
/// # use storage_core::{block_on, Scope};
/// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
/// let pending = wx.set_storage("k", "v").complete(|res| assert!(res.is_ok()));
/// block_on(pending); // or tokio::spawn(pending)
/// ```
#[must_use = "a Call does nothing until it is awaited"]
pub struct WithCallbacks<S, F> {
    call: Call<S, F>,
    // Taken when the outcome is delivered, so a future polled again after it finished calls
    // nothing twice.
    callbacks: Option<Callbacks<S, F>>,
}

impl<S, F> WithCallbacks<S, F> {
    fn callbacks_mut(&mut self) -> &mut Callbacks<S, F> {
        self.callbacks.get_or_insert_with(Callbacks::default)
    }

    /// Sets the `success` callback, called with the success result. Setting it again replaces it.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// wx.clear_storage().complete(|_| ()).success(|res| assert_eq!(res.err_msg, "clearStorage:ok")).wait();
    /// ```
    pub fn success(mut self, f: impl FnOnce(S) + Send + 'static) -> Self {
        self.callbacks_mut().success = Some(Box::new(f));
        self
    }

    /// Sets the `fail` callback, called with the failure. Setting it again replaces it.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// wx.remove_storage("").success(|_| unreachable!()).fail(|err| assert_eq!(err.errno, Some(800003))).wait();
    /// ```
    pub fn fail(mut self, f: impl FnOnce(F) + Send + 'static) -> Self {
        self.callbacks_mut().fail = Some(Box::new(f));
        self
    }

    /// Sets the `complete` callback, called last in every outcome. Setting it again replaces it.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let my = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().my();
    /// my.set_storage("", 1).fail(|_| ()).complete(|res| assert_eq!(res.unwrap_err().error, 2)).wait();
    /// ```
    pub fn complete(mut self, f: impl FnOnce(Result<S, F>) + Send + 'static) -> Self {
        self.callbacks_mut().complete = Some(Box::new(f));
        self
    }
}

impl<S, F> WithCallbacks<S, F>
where
    S: Clone + Send + 'static,
    F: Clone + Send + 'static,
{
    /// Runs the call on this thread, with no async runtime, and delivers its outcome.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// wx.remove_storage("k").complete(|res| assert!(res.is_ok())).wait();
    /// ```
    pub fn wait(self) {
        storage_core::block_on(self)
    }
}

impl<S, F> Future for WithCallbacks<S, F>
where
    S: Clone + Send + 'static,
    F: Clone + Send + 'static,
{
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // The call's own future: what a success fires waits for the `success` callback.
        let outcome = std::task::ready!(self.call.future.as_mut().poll(cx));
        let fire = self.call.on_success.take();
        if let Some(callbacks) = self.callbacks.take() {
            callbacks.deliver_firing(outcome, fire);
        }
        Poll::Ready(())
    }
}

impl<S, F> fmt::Debug for WithCallbacks<S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WithCallbacks")
            .field(&self.callbacks)
            .finish()
    }
}
