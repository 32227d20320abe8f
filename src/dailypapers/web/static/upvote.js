// Upvote buttons update in place: the form is sent in the background and the count comes back as
// JSON. Without JavaScript the same form posts and the page reloads.
for (const form of document.querySelectorAll("form.upvote")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const answer = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (answer.status === 401) { window.location = "/signin?next=" + encodeURIComponent(location.pathname); return; }
      if (!answer.ok) { form.submit(); return; }
      const result = await answer.json();
      form.querySelector(".count").textContent = result.upvotes;
      form.querySelector("input[name=up]").value = result.upvoted ? "0" : "1";
      button.setAttribute("aria-pressed", String(result.upvoted));
    } finally {
      button.disabled = false;
    }
  });
}
