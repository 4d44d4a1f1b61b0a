package devidp

import (
	"errors"
	"html/template"
	"net/http"
)

// pageError is an error shown to the browser as a page with a status.
type pageError struct {
	status  int
	message string
}

func (e *pageError) Error() string { return e.message }

var errUnknownRequest = &pageError{http.StatusBadRequest,
	"This sign-in request is unknown, already used or expired. Go back to the application and sign in again."}

// handle adapts a handler that returns an error: a *pageError is shown as is, anything else is
// logged and shown as a generic failure.
func (p *Provider) handle(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		var pe *pageError
		if !errors.As(err, &pe) {
			p.log.ErrorContext(r.Context(), "devidp request failed", "path", r.URL.Path, "err", err)
			pe = &pageError{http.StatusInternalServerError, "Something went wrong. Try again."}
		}
		p.render(w, pe.status, messagePage, pageData{Title: "Sign-in problem", Message: pe.message})
	})
}

// pageData is the view model of every page.
type pageData struct {
	Title     string
	Message   string
	ClientID  string
	RequestID string
	Username  string
	Error     string
	Action    string
}

// loginForm shows the form for a pending authorization request.
func (p *Provider) loginForm(w http.ResponseWriter, r *http.Request) error {
	id := r.URL.Query().Get("id")
	req, err := p.store.pendingRequest(id)
	if err != nil {
		return errUnknownRequest
	}
	p.render(w, http.StatusOK, loginPage, p.loginData(req, "", ""))
	return nil
}

// login checks the posted credentials; on success the browser continues to the op package's
// callback, which redirects to the client with a code.
func (p *Provider) login(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return &pageError{http.StatusBadRequest, "The form could not be read."}
	}
	id, username := r.PostForm.Get("id"), r.PostForm.Get("username")
	req, err := p.store.pendingRequest(id)
	if err != nil {
		return errUnknownRequest
	}
	user, ok := p.store.checkPassword(username, r.PostForm.Get("password"))
	if !ok {
		p.log.WarnContext(r.Context(), "sign-in refused", "username", username, "client", req.clientID)
		data := p.loginData(req, username, "Wrong username or password.")
		p.render(w, http.StatusUnauthorized, loginPage, data)
		return nil
	}
	if err := p.store.completeLogin(id, user.Username); err != nil {
		return errUnknownRequest
	}
	p.log.InfoContext(r.Context(), "signed in", "username", user.Username, "client", req.clientID)
	http.Redirect(w, r, p.callbackURL(r.Context(), id), http.StatusSeeOther)
	return nil
}

// loggedOut is where end_session lands when the client named no post_logout_redirect_uri.
func (p *Provider) loggedOut(w http.ResponseWriter, _ *http.Request) error {
	p.render(w, http.StatusOK, messagePage, pageData{Title: "Signed out",
		Message: "You are signed out of the Lagboard dev identity provider. You can close this page."})
	return nil
}

func (p *Provider) loginData(req authRequest, username, errMsg string) pageData {
	return pageData{
		Title:     "Lagboard dev sign-in",
		ClientID:  req.clientID,
		RequestID: req.id,
		Username:  username,
		Error:     errMsg,
		Action:    p.store.clients[req.clientID].loginPath,
	}
}

func (p *Provider) render(w http.ResponseWriter, status int, t *template.Template, data pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// No form-action: browsers apply it to the redirect back to the client after the post.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	if err := t.Execute(w, data); err != nil {
		p.log.Error("devidp render", "err", err)
	}
}

const pageLayout = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
main { max-width: 24rem; margin: 4rem auto; padding: 2rem; background: #fff; border-radius: 8px; }
.note { background: #fff4d6; border-left: 4px solid #b58100; padding: .5rem .75rem; }
.error { background: #fde7e9; border-left: 4px solid #b3261e; padding: .5rem .75rem; }
label { display: block; margin-top: 1rem; font-weight: 600; }
input { width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem; font-size: 1rem; }
button { margin-top: 1.5rem; padding: .6rem 1.2rem; font-size: 1rem; }
:focus-visible { outline: 3px solid #1a56db; outline-offset: 2px; }
</style>
</head>
<body>
<main>
{{template "content" .}}
</main>
</body>
</html>`

var loginPage = template.Must(template.Must(template.New("login").Parse(pageLayout)).Parse(`
{{define "content"}}
<h1>Lagboard dev sign-in</h1>
<p class="note" data-testid="dev-note">This is a development identity provider for local demos and
tests. It is not secure; never use it for real accounts.</p>
<p>Sign in to continue to <strong data-testid="client-id">{{.ClientID}}</strong>.</p>
{{if .Error}}<p class="error" role="alert" id="login-error" data-testid="login-error">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}" data-testid="login-form">
<input type="hidden" name="id" value="{{.RequestID}}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none"
 spellcheck="false" required autofocus value="{{.Username}}"{{if .Error}} aria-describedby="login-error" aria-invalid="true"{{end}}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
{{end}}`))

var messagePage = template.Must(template.Must(template.New("message").Parse(pageLayout)).Parse(`
{{define "content"}}
<h1>{{.Title}}</h1>
<p data-testid="message">{{.Message}}</p>
{{end}}`))
