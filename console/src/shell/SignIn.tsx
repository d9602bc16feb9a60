import { useState, type FormEvent } from "react";
import { Form } from "react-aria-components";
import { useMutation } from "urql";
import { graphql } from "../gql";
import { useSession } from "../lib/session";
import { Button, Errors, TextField } from "../ui/fields";

const SignInDocument = graphql(`
  mutation SignIn($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      token
      errors {
        code
        message
      }
    }
  }
`);

export function SignIn() {
  const { signIn } = useSession();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [result, login] = useMutation(SignInDocument);
  const errors = result.data?.login.errors ?? (result.error ? [{ message: result.error.message }] : null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const answer = await login({ email: email.trim(), password });
    const token = answer.data?.login.token;
    if (token) signIn(token);
  }

  return (
    <main className="sign-in">
      <h1>BitCart Orders</h1>
      <p>Sign in with your staff account.</p>
      <Form onSubmit={submit} className="stack">
        <TextField label="Email" type="email" name="email" autoComplete="username" value={email} onChange={setEmail} isRequired autoFocus />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          value={password}
          onChange={setPassword}
          isRequired
        />
        <Errors errors={errors} />
        <Button type="submit" variant="primary" isPending={result.fetching}>
          Sign in
        </Button>
      </Form>
    </main>
  );
}
